"""`{{ job.last_error|worker_text }}`: a text stored by a worker, in the viewer's language (a builtin)."""

from django import template

from providers.texts import shown

register = template.Library()

register.filter("worker_text", shown)
