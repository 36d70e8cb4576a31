# Sphinx settings of the lvs.ipvs reference site (built by docs/build.sh from the
# pages antsibull-docs renders). Offline: no intersphinx inventories are fetched.
import os

project = "lvs.ipvs"
copyright = "lvs.ipvs contributors"  # noqa: A001 - the name Sphinx reads
title = "lvs.ipvs reference"
html_short_title = "lvs.ipvs"
extensions = ["sphinx_antsibull_ext", "myst_parser", "sphinxcontrib.mermaid"]
# The guides are the Markdown files of docs/; their ```mermaid blocks become diagrams and
# their links to a heading (page.md#a-heading) resolve.
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
myst_fence_as_directive = ["mermaid"]
# Mermaid from the site itself, never a CDN: docs/build.sh puts the pinned, checksummed
# release (docs/site/mermaid_assets.py) in this static folder.
html_static_path = [os.environ["LVS_IPVS_DOCS_STATIC"]]
mermaid_use_local = "mermaid/mermaid.esm.min.mjs"
myst_heading_anchors = 3
html_theme = "sphinx_ansible_theme"
html_show_sphinx = False
html_copy_source = False
pygments_style = "ansible"
highlight_language = "YAML+Jinja"
default_role = "any"
nitpicky = True
