"""Transports: how a built message leaves the machine (SMTP through yagmail,
``.eml`` files, or nowhere). They take bytes and addresses and report the
outcome; what to send and when is decided by the services."""
