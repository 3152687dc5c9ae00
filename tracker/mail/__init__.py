"""Mail: rendering digests (pure) and transports (file, SMTP via yagmail, none)."""
