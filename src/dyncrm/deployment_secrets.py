"""The secrets a deployment keeps in files beside its config, made at ``dyncrm init``.

Two kinds of key nobody has to choose live in files readable by their owner
only (0600), made with :func:`dyncrm.files.deployment_secret`:

* ``web-secret``: signs the portal's cookies, unless ``[web] secret_key`` is set;
* whatever enabled plugins declare with a module attribute
  ``DYNCRM_SECRET_FILES``: a tuple of file names, or a function taking ``crm``
  and returning them (so a plugin can leave it out when its settings give a key);
  ``acquire.member_card`` declares ``card-secret`` when no ``secret`` is set.

``dyncrm init`` calls :func:`ensure_secret_files` so every key exists from the
first day (and is in the first backup); they are still made on first use for
deployments created before.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dyncrm.files import deployment_secret

if TYPE_CHECKING:
    from dyncrm.app import CRM

WEB_SECRET = "web-secret"


def secret_file_names(crm: CRM) -> list[str]:
    """Names of the secret files this deployment needs beside its config."""
    names: list[str] = []
    if not crm.config.web.secret_key:
        names.append(WEB_SECRET)
    for _, plugin in crm.pm.list_name_plugin():
        declared = getattr(plugin, "DYNCRM_SECRET_FILES", ())
        if callable(declared):
            declared = declared(crm)
        names.extend(n for n in declared or () if n not in names)
    return names


def ensure_secret_files(crm: CRM) -> list[Path]:
    """Make every missing secret file (0600); returns the files that were made."""
    if crm.config.path is None:
        return []
    made = []
    for name in secret_file_names(crm):
        path = Path(crm.config.path).parent / name
        if not path.exists():
            deployment_secret(crm.config.path, name)
            made.append(path)
    return made


__all__ = ["WEB_SECRET", "ensure_secret_files", "secret_file_names"]
