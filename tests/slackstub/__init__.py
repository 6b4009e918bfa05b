"""Loopback Slack (Web API + Socket Mode) for end-to-end tests; see :mod:`tests.slackstub.server`."""
