"""The demo: an account with users, a connector, a catalog, a rule and a few orders (`load_demo`).

The top app: it seeds every app below it through their own services, and nothing imports it.
"""
