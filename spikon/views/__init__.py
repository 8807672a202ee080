"""SPIKON pages, one module per area (account, overview, phonebooks, SMS, call history, TTS, call center)."""
