import os

from hypothesis import HealthCheck, settings

# Property tests are derandomized so that CI runs are reproducible; run with
# HYPOTHESIS_PROFILE=explore to search with fresh random examples.
settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("explore", deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
