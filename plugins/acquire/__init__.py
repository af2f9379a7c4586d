"""dyncrm_acquire: how people become members.

Three plugins, enabled by name in ``[plugins] enabled``:

* ``acquire.registration`` (:mod:`dyncrm_acquire.registration`): applications,
  verification by the secretary, the board's decision, member numbers, logins
  and the welcome message;
* ``acquire.member_card`` (:mod:`dyncrm_acquire.member_card`): printable ID-1
  member cards with a signed QR code;
* ``acquire.promotion`` (:mod:`dyncrm_acquire.promotion`): products,
  promotions pushed to an audience, the funnel report and referral codes.

Each plugin is a folder: its ``__init__.py`` is the plugin (hooks and public API),
beside it its modules, its ``migrations/`` and its ``templates/acquire/``.
:mod:`dyncrm_acquire.models` (the tables), :mod:`dyncrm_acquire.settings` (the
config sections), :mod:`dyncrm_acquire.validate` (input checks) and
:mod:`dyncrm_acquire.referrals` (referral codes) stay here: more than one of the
plugins uses them.
"""

from __future__ import annotations

from pathlib import Path

from dyncrm.plugins import package_path


def package_dir(*parts: str) -> Path:
    """A folder shipped inside this package (templates, migrations)."""
    return package_path("dyncrm_acquire", *parts)
