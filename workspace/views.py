from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from t3site import csp
from t3site.http import no_store


@require_GET
# The environment the app opens is named in its address (?environment=ID&host=ORIGIN). xterm.js
# writes its theme and cell sizes into <style> elements: inline style *elements* only, never attributes.
@csp.extend(connect_src=csp.named_backends, style_src_elem=["'self'", "'unsafe-inline'"])
def app_page(request):
    """Serve the web client; it finds out over the API whether this browser is paired."""
    return no_store(render(request, "workspace/app.html"))
