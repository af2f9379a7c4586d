"""Every page of the whole portal, for every role: the permission matrix.

The routes are read from the running application (every enabled plugin's
blueprint), so a page added by any plugin is checked without being listed here.
A staff page (``staff_only(permission)``) opens for exactly the roles holding its
permission and answers 403 to everyone else, members included; a member page
(``member_only``) opens for members and answers 403 to staff; nobody who has not
signed in gets further than the sign-in page.  "Opens" means the view ran: a page,
a redirect, or a 400/404 for what the request lacks (a download without its month,
a member card not issued yet) — never 403 and never a server error.
"""

from __future__ import annotations

import pytest
from portal import ROLES, USER_OF, member_login

from dyncrm.testing import web_client
from dyncrm.values import Actor

#: a view that ran: a page, a redirect, or what the request lacks (400, 404)
OPENED = {200, 302, 303, 400, 404}


def plain_get_routes(app) -> list[tuple[str, str, object]]:
    """``(url, endpoint, view)`` of every GET route without URL parameters."""
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint == "static":
            continue
        found.append((rule.rule, rule.endpoint, app.view_functions[rule.endpoint]))
    return sorted(found)


@pytest.fixture
def routes(kop):
    return plain_get_routes(web_client(kop).app)


def test_the_portal_has_staff_and_member_pages(routes):
    permissions = {getattr(view, "permission", None) for _, _, view in routes}
    assert len(permissions - {None}) >= 3, "expected pages of several plugins"


@pytest.mark.parametrize("role", [*ROLES, "member"])
def test_every_staff_page_opens_for_exactly_the_roles_holding_its_permission(kop, routes,
                                                                             role):
    if role == "member":
        _, username = member_login(kop)
        actor = kop.users.trusted_actor(username)
    else:
        username = USER_OF[role]
        actor = Actor(username=username, roles=frozenset({role}))
    client = web_client(kop, username)
    wrong = []
    for url, _endpoint, view in routes:
        permission = getattr(view, "permission", None)
        if permission is None:
            continue
        allowed = kop.users.can(actor, permission)
        status = client.get(url).status_code
        if (status == 403) == allowed or status >= 500:
            wrong.append(f"{url} ({permission}): {status}, "
                         f"expected {'to open' if allowed else 403}")
    assert not wrong, f"{role}: " + "; ".join(wrong)


def test_member_pages_refuse_staff_and_open_for_members(kop, routes):
    _, username = member_login(kop)
    member = web_client(kop, username)
    cashier = web_client(kop, USER_OF["cashier"])
    member_pages = [url for url, _, view in routes
                    if getattr(view, "__wrapped__", None) is not None
                    and getattr(view, "permission", None) is None
                    and cashier.get(url).status_code == 403]
    assert member_pages, "expected member pages"
    for url in member_pages:
        assert member.get(url).status_code in OPENED, url


def test_nobody_signed_out_gets_past_the_sign_in_page(kop, routes):
    visitor = web_client(kop)
    for url, _, view in routes:
        response = visitor.get(url)
        if getattr(view, "permission", None) is not None:
            assert response.status_code == 302 and "/login" in response.headers["Location"], url
        else:
            assert response.status_code in (200, 302), url
