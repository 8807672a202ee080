import os

from django.core.wsgi import get_wsgi_application

from config.env import log_when_email_is_off

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
log_when_email_is_off()
