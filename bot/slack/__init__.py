"""Slack: rendering replies as Block Kit (`render`, `mrkdwn`, `limits`) and what the app asks for (`manifest`);
typed commands (`commands`), posting exactly once (`poster`, `failures`) and Socket Mode (`socket`).

The handlers and the `client_for` hook join this package with the Slack integration; the core never imports it.
"""
