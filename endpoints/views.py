from __future__ import annotations

from endpoints.descriptor import describe
from t3site.http import answer, open_cors


@open_cors("GET, OPTIONS")
def environment_descriptor(request):
    """Describe this server to anyone who asks (CORS *): clients check it before pairing."""
    return answer(describe())
