"""What the Celery processes tell: each worker and beat saying they are alive. Sent by
config/celery.py on their timers; `operations.heartbeats` answers them."""

from django.dispatch import Signal

# hostname: the worker's name (celery@host).
worker_alive = Signal()
beat_alive = Signal()
