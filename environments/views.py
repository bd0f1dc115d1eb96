from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from t3site.http import no_store


@require_GET
def pair_page(request):
    """Serve the pairing page. The token stays in the URL fragment: it never reaches this server."""
    response = render(request, "environments/pair.html")
    response["Referrer-Policy"] = "no-referrer"
    return no_store(response)
