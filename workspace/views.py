from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from t3site.http import no_store


@require_GET
def app_page(request):
    """Serve the web client; it finds out over the API whether this browser is paired."""
    return no_store(render(request, "workspace/app.html"))
