"""What the web and worker processes keep for their lives is out of the collector's full passes."""

from tests.support.app_process import python_in

WEB = """
import gc, json, sys
import config.wsgi
print(json.dumps({"frozen": gc.get_freeze_count(), "urls": "config.urls" in sys.modules}))
"""

WORKER = """
import gc, json
from celery.signals import worker_init
from config.celery import app
app.loader.init_worker()  # as the worker does first: Django set up, the tasks imported
before = gc.get_freeze_count()
worker_init.send(sender=None)
print(json.dumps({"before": before, "frozen": gc.get_freeze_count()}))
"""


def test_a_web_process_loads_its_views_and_freezes_them_before_its_first_request(tmp_path):
    web = python_in(tmp_path, WEB)
    assert web["urls"]  # the URLconf and the views it names, loaded before the first request
    assert web["frozen"] > 100_000  # Django, the apps and their views: never scanned again


def test_a_worker_freezes_what_its_pool_s_processes_inherit_before_they_fork(tmp_path):
    worker = python_in(tmp_path, WORKER)
    assert worker["before"] == 0
    assert worker["frozen"] > 100_000
