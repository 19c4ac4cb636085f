"""Settings from the environment: whole-number options refuse what they cannot use."""

from __future__ import annotations

import pytest

from bot.config import load_settings


def test_whole_number_settings_and_their_refusals() -> None:
    assert load_settings({"ERP_ALERT_INTERVAL_SECONDS": "0"}).alert_interval_seconds == 0
    assert load_settings({}).writes_per_minute == 20
    with pytest.raises(SystemExit, match="at least 0"):
        load_settings({"ERP_ALERT_INTERVAL_SECONDS": "-1"})
    with pytest.raises(SystemExit, match="at least 1"):
        load_settings({"ERP_WRITES_PER_MINUTE": "0"})
    with pytest.raises(SystemExit, match="whole number"):
        load_settings({"ERP_CONFIRMATION_TTL_SECONDS": "soon"})
