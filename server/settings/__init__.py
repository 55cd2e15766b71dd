"""The one model of site.toml: every key's type, default, help and rules, loaded from TOML.

The file is `config/site.toml` unless ONESTOP_CONFIG names another. Scalar settings can
be overridden by environment variables named ONESTOP_<SECTION>_<KEY> (for example
ONESTOP_PRINTER_TYPE=none). A bad file stops start-up with ConfigError naming the file,
the key and the reason. `flask config schema` (or `python -m server.settings`) prints the
schema as Markdown; `python -m server.settings --readme` rewrites README.md's table.

  fields.py    ConfigError, Setting (one key's rule) and the value checks
  schema.py    SECTIONS and ITEMS: every key of the file
  model.py     Settings (sections + cross-references), load()
  markdown.py  the schema as README's table
  live.py      the rules of a change to the running office (numbers issued today)
  toml_out.py  a config written back as TOML (`flask config export`)

Standard library (and `core.model`) only: systemd/site_config.py, the Pi's pre-start check,
loads this package by path with the system python3, where Flask is not installed.
"""

from __future__ import annotations

from .fields import REQUIRED, TYPE_NAMES, ConfigError, Setting
from .markdown import schema_markdown
from .model import DEFAULT_CONFIG, ROOT, Settings, env_name, load
from .schema import ENGINES, ITEMS, LANGUAGES, SECTIONS

__all__ = [
    "DEFAULT_CONFIG", "ENGINES", "ITEMS", "LANGUAGES", "REQUIRED", "ROOT", "SECTIONS",
    "TYPE_NAMES", "ConfigError", "Setting", "Settings", "env_name", "load", "schema_markdown",
]  # fmt: skip
