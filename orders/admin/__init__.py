"""Orders in the admin: importing the package registers its pages.

- `intake`: connection orders (IntakeRecord) and reprocessing them.
- `order`: the order list and page; `order_actions` its approve, deny, handle and invoice buttons.
- `queue`: the manual-authorization queue; `queue_bulk` its bulk decisions; `queue_filters` its filters.
- `tables`: the CSV exports of the order list and the queue.
- `display` and `forms`: what the order page and the queue show alike, and the denial form.
"""

from . import intake, order, queue  # noqa: F401  (registers the ModelAdmins)
