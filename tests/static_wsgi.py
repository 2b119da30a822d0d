"""The portal with its static files, for gunicorn in the browser tests.

runserver and the live server serve /static/ the same way (StaticFilesHandler);
gunicorn alone would not, and the prompt would be drawn without its style sheet.
"""

from django.contrib.staticfiles.handlers import StaticFilesHandler

from duoportal.wsgi import application as portal

application = StaticFilesHandler(portal)
