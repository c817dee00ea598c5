"""The feedback page's stylesheet: a few KB written for it, instead of JupyterLab's 270 KB.

It styles the class names of nbconvert's ``lab`` template: prompts beside code on wide
screens and above it on phones, outputs (stderr and errors tinted), tables, images that
never overflow, and the grader's feedback cells set apart with a coloured rule. Syntax
colours cover the Pygments token classes that Python code uses; ANSI colours cover
tracebacks. The page's CSP allows this stylesheet by its hash and nothing else.
"""

from __future__ import annotations

import base64
import hashlib

__all__ = ["STYLE", "style_hash"]

STYLE = """
*,*::before,*::after{box-sizing:border-box}
body{margin:0 auto;padding:1rem;max-width:62rem;font:16px/1.5 system-ui,-apple-system,"Segoe UI",
Roboto,"Noto Sans","DejaVu Sans",sans-serif;color:#1f2328;background:#fff}
pre,code,kbd,samp,.jp-InputPrompt,.jp-OutputPrompt{font-family:ui-monospace,"SFMono-Regular",
Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace;font-size:.875rem}
pre{margin:0;line-height:1.4;overflow-x:auto}
h1,h2,h3,h4{line-height:1.25;margin:1.2em 0 .5em}
a[href]{color:#0550ae}
a.anchor-link{display:none}
img,svg{max-width:100%;height:auto}
code{background:#eff1f3;padding:.1em .3em;border-radius:3px}
pre code{background:none;padding:0}
blockquote{margin:0;padding-left:1em;border-left:3px solid #d0d7de;color:#57606a}
table{border-collapse:collapse;margin:.5em 0;display:block;overflow-x:auto;max-width:100%}
th,td{border:1px solid #d0d7de;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f6f8fa}
tbody tr:nth-child(even){background:#fafbfc}
.jp-Collapser{display:none}
.jp-Cell{margin:.6rem 0}
.jp-InputArea,.jp-OutputArea-child{display:flex;align-items:flex-start}
.jp-InputPrompt,.jp-OutputPrompt{flex:0 0 5.5rem;padding:.45rem .5rem 0 0;text-align:right;
color:#307fc1;white-space:nowrap}
.jp-OutputPrompt{color:#bf5b00}
.jp-InputArea-editor,.jp-OutputArea-output,.jp-MarkdownCell .jp-RenderedMarkdown{flex:1 1 auto;
min-width:0}
.jp-InputArea-editor{background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px;
padding:.4rem .6rem}
.jp-OutputArea-output{padding:.3rem .6rem}
.jp-RenderedText pre{white-space:pre-wrap;word-break:break-word}
.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]{background:#fff0f0;
border-left:3px solid #cf222e}
.celltag_grader-feedback{background:#f1f6fd;border:1px solid #b6d0f5;border-left:6px solid #0969da;
border-radius:4px;padding:.2rem 1rem;margin:.4rem 0}
.celltag_grader-feedback h1,.celltag_grader-feedback h2{color:#0a3069}
.celltag_grader-feedback td{background:#fff}
.math-display{display:block;overflow-x:auto;overflow-y:hidden;padding:.2em 0;margin:.4em 0}
math{font-size:1.1em}
code.tex{color:#6e7781}
.highlight .c{color:#6e7781;font-style:italic}
.highlight .k{color:#8250df;font-weight:600}
.highlight .s{color:#0a3069}
.highlight .m{color:#0550ae}
.highlight .nf{color:#6639ba}
.highlight .nb{color:#116329}
.highlight .err{color:#cf222e}
.ansi-red-fg{color:#cf222e}.ansi-green-fg{color:#116329}.ansi-yellow-fg{color:#7d4e00}
.ansi-blue-fg{color:#0550ae}.ansi-magenta-fg{color:#8250df}.ansi-cyan-fg{color:#1b7c83}
.ansi-bold{font-weight:700}
@media (max-width:40rem){
body{padding:.5rem;font-size:15px}
.jp-InputArea,.jp-OutputArea-child{display:block}
.jp-InputPrompt,.jp-OutputPrompt{text-align:left;padding:0}
.jp-OutputPrompt:empty{display:none}
}
@media print{.jp-InputArea-editor{overflow:visible}pre{white-space:pre-wrap}}
"""


def style_hash(style: str) -> str:
    """The CSP source (``'sha256-…'``) that allows a ``<style>`` element holding ``style``."""
    digest = hashlib.sha256(style.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"
