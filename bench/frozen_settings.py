"""The settings of the workers that the contention figure freezes (SIGSTOP) outside their turns.

The product's settings, with the tasks' time limits stretched: they run on the wall clock, and a worker
runs one turn in four (bench.contention.TURNS), so a statement would pass its limit while stopped. The
worker's own --time-limit options cannot do it: Celery prefers the settings to them.
"""

from config.settings import *  # noqa: F403
from config.settings import CELERY_TASK_SOFT_TIME_LIMIT, CELERY_TASK_TIME_LIMIT

STRETCH = 8  # one turn in four, with room

CELERY_TASK_TIME_LIMIT = CELERY_TASK_TIME_LIMIT * STRETCH
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT * STRETCH
