"""File-level import errors: the whole file is refused (per-cell problems are `ImportIssue`s).

Codes: `import.file_type`, `import.file_corrupt`, `import.encoding`, `import.file_too_large`
(413), `import.zip_bomb`, `import.too_many_rows`, `import.no_header`, `import.missing_columns`,
`import.kind_unknown` (404), `import.forbidden` (403), `import.invalid_transition` (409),
`import.nothing_valid`, `import.commit_failed`, `import.validate_failed`."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from wushe.core.errors import DomainError, ValidationFailed


class ImportFileError(ValidationFailed):
    """The file cannot be imported at all (422)."""

    code = "import.file_type"


class FileTooLarge(DomainError):
    status = 413
    code = "import.file_too_large"
    default_message = _("文件过大。")

    def __init__(self, max_bytes: int, **kwargs: Any) -> None:
        mib = max_bytes / (1024 * 1024)
        size = f"{mib:.0f} MB" if mib >= 1 else f"{max_bytes} 字节"
        message = _("文件超过了 %(size)s 的上限，请把表格拆分成几个较小的文件后分别导入。") % {
            "size": size
        }
        super().__init__(message, fields={"max_bytes": max_bytes}, **kwargs)
