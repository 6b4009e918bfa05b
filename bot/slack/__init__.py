"""Slack: rendering replies as Block Kit (`render`, `mrkdwn`, `limits`) and what the app asks for (`manifest`).

The client, transport and handlers join this package with the Slack integration; the core never imports it.
"""
