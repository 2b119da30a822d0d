"""The portal for gunicorn in the demo: with its static files, as runserver serves them.

Production serves /static/ from STATIC_ROOT with its web server instead.
"""

from django.contrib.staticfiles.handlers import StaticFilesHandler

from duoportal.wsgi import application as portal

application = StaticFilesHandler(portal)
