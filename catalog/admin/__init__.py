"""The catalog in the admin: importing the package registers its pages.

- `skus`: SKUs and their price history, stock rows, warehouses.
- `shipping`: shipping policies and pickup points.
- `csv_files`: importing SKUs and stock from CSV (preview first, every bad row named, all rows
  or none, into an account the user may change) and exporting them for every reader.
- `base`: what every page shares; each shows only the user's accounts, Owner and OMS Full
  change, everyone else reads.
"""

from . import shipping, skus  # noqa: F401  (registers the ModelAdmins)
