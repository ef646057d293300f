"""The demo account's names, shared by its loader (`load_demo`) and its connector's receiver."""

ACCOUNT = "demo-seller"
CONNECTOR_NAME = "Demo marketplace"
# Where the receiver listens, under SITE_URL: the demo connector's endpoint when DEMO_RECEIVER is on.
RECEIVER_PATH = "/demo/connector"
