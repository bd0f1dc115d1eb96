"""A project: a folder on this machine that paired devices work in."""

from __future__ import annotations

import os

from django.db import IntegrityError, models, transaction
from django.db.models import Count, Max

from t3site import clock
from t3site.ids import new_id
from workspace import browse, protected
from workspace.gitinfo import is_git_repo
from workspace.paths import PathExists, PathMissing, PathRefused, root_refusal
from workspace.terminals.record import TerminalRecord

TITLE_MAX_LENGTH = 200


class InvalidTitle(ValueError):
    pass


class DuplicateProject(PathExists):
    def __init__(self, project: Project):
        super().__init__(f"{project.path} is already project {project.id} ({project.title!r})")
        self.project = project


class AmbiguousProject(LookupError):
    def __init__(self, reference: str, candidates: list[Project]):
        ids = ", ".join(project.id for project in candidates)
        super().__init__(f"{len(candidates)} projects are titled {reference!r} ({ids}): name one by its id or folder")
        self.candidates = candidates


class TerminalsRunning(Exception):
    def __init__(self, project: Project, count: int):
        super().__init__(
            f"project {project.id} ({project.title!r}) has {count} running terminal(s); "
            "close them first or remove it with force"
        )
        self.count = count


def clean_title(title: str) -> str:
    """Return ``title`` stripped, refusing an empty or overlong one."""
    title = " ".join(title.split())
    if not title:
        raise InvalidTitle("a project title cannot be empty")
    if len(title) > TITLE_MAX_LENGTH:
        raise InvalidTitle(f"a project title is at most {TITLE_MAX_LENGTH} characters")
    return title


class ProjectQuerySet(models.QuerySet):
    def revision(self) -> tuple[int, str | None]:
        """Return a cheap marker that changes whenever a project is added, renamed or removed.

        Every change through this module moves ``updated_at`` forward or changes the
        count; an add and a remove between two looks still leave a newer ``updated_at``.
        """
        found = self.aggregate(count=Count("id"), latest=Max("updated_at"))
        return found["count"], clock.iso(found["latest"])

    def listing(self) -> list[dict]:
        return [project.as_dict() for project in self]


class ProjectManager(models.Manager.from_queryset(ProjectQuerySet)):
    def add(self, path: str, title: str | None = None) -> Project:
        """Make ``path`` (an existing folder; ``~`` and relative paths allowed) a project and return it."""
        folder = browse.absolute(path)
        if not os.path.exists(folder):
            raise PathMissing(f"{folder} does not exist")
        if not os.path.isdir(folder):
            raise PathRefused(f"{folder} is a file, not a folder")
        real = os.path.realpath(folder)
        refusal = root_refusal(real, protected.paths())
        if refusal is not None:
            raise PathRefused(refusal)
        title = clean_title(title if title is not None else os.path.basename(real) or real)
        existing = self.filter(path=real).first()
        if existing is not None:
            raise DuplicateProject(existing)
        try:
            with transaction.atomic():
                project = self.create(path=real, title=title)
        except IntegrityError:  # added by someone else between our look and our insert
            raise DuplicateProject(self.get(path=real)) from None
        return project

    def find(self, reference: str) -> Project | None:
        """Return the project whose id, folder or title is ``reference``, or None.

        An id or a folder names one project; a title may not (titles need not be unique):
        raise AmbiguousProject rather than pick one, since the caller may remove it.
        """
        project = self.filter(pk=reference).first()
        if project is not None:
            return project
        try:
            project = self.filter(path=os.path.realpath(browse.absolute(reference))).first()
        except PathRefused:
            project = None
        if project is not None:
            return project
        title = " ".join(reference.split())
        # An exact title first, so "Site" still names one project when "site" is another.
        titled = list(self.filter(title=title)) or list(self.filter(title__iexact=title))
        if len(titled) > 1:
            raise AmbiguousProject(title, titled)
        return titled[0] if titled else None


class Project(models.Model):
    id = models.CharField(primary_key=True, max_length=16, default=new_id, editable=False)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    # Absolute, resolved path; unique so one folder is never two projects.
    path = models.CharField(max_length=4096, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    objects = ProjectManager()

    class Meta:
        ordering = ["title", "created_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.path})"

    def as_dict(self) -> dict:
        """Return the project as projects.list and `project list --json` show it."""
        return {
            "id": self.id,
            "title": self.title,
            "path": self.path,
            "createdAt": clock.iso(self.created_at),
            "isGitRepo": is_git_repo(self.path),
        }

    def rename(self, title: str) -> None:
        """Give the project a new title (its folder stays where it is)."""
        self.title = clean_title(title)
        self.updated_at = clock.now()
        self.save(update_fields=["title", "updated_at"])

    def remove(self, *, force: bool = False) -> int:
        """Forget the project (its folder stays) and return how many terminals were closed.

        Refuse while terminals run in it unless ``force``: then hang them up first.
        """
        terminals = TerminalRecord.objects.live_for_project(self.id)
        if terminals and not force:
            raise TerminalsRunning(self, len(terminals))
        for record in terminals:
            record.kill()
            # The owning server marks it too, with the exit code; this covers the moment between.
            TerminalRecord.objects.filter(pk=record.pk, exited_at__isnull=True).update(exited_at=clock.now())
        self.delete()
        return len(terminals)
