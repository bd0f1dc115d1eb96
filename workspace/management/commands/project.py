"""`manage.py project`: add, list, rename and remove projects from the command line."""

from __future__ import annotations

from django.core.management.base import CommandError

from t3site.commands import SubcommandsCommand
from workspace.models import Project
from workspace.models.project import AmbiguousProject, InvalidTitle, TerminalsRunning
from workspace.paths import PathExists, PathMissing, PathRefused

REFERENCE_HELP = "the project's id (from `project list`), its folder, or its title if no other project has it"


def _project(reference: str) -> Project:
    project = Project.objects.find(reference)
    if project is None:
        raise CommandError(f"no project {reference!r}: see `manage.py project list`")
    return project


class Command(SubcommandsCommand):
    help = (
        "Manage projects, the folders paired devices work in: add, list, rename and remove them. "
        "Works whether or not the server runs; open sockets see the change within a second or two."
    )
    user_errors = (PathMissing, PathRefused, PathExists, InvalidTitle, TerminalsRunning, AmbiguousProject)

    def add_arguments(self, parser):
        verbs = parser.add_subparsers(dest="verb", required=True, metavar="{add,list,rename,remove}")
        add = verbs.add_parser(
            "add",
            help="make an existing folder a project",
            description="Make an existing folder a project. Its title defaults to the folder's name.",
        )
        add.add_argument("path", help="the folder (absolute, ~/..., or relative to the current folder)")
        add.add_argument("--title", help="the name devices show (default: the folder's name)")
        add.set_defaults(handler=self.add)
        listing = verbs.add_parser(
            "list",
            help="list projects",
            description="List projects under a header row: id, title, folder and whether it is a git repository, "
            "ordered by title.",
        )
        listing.add_argument("--json", action="store_true", help="print one JSON document")
        listing.set_defaults(handler=self.list)
        rename = verbs.add_parser(
            "rename", help="change a project's title", description="Change a project's title; its folder stays."
        )
        rename.add_argument("project", help=REFERENCE_HELP)
        rename.add_argument("title", help="the new title")
        rename.set_defaults(handler=self.rename)
        remove = verbs.add_parser(
            "remove",
            help="forget a project (its folder and files stay)",
            description=(
                "Forget a project; its folder and files are not touched. Refused while terminals run in it, "
                "unless --force, which hangs them up (SIGHUP, then SIGKILL) first."
            ),
        )
        remove.add_argument("project", help=REFERENCE_HELP)
        remove.add_argument("--force", action="store_true", help="close the project's running terminals too")
        remove.set_defaults(handler=self.remove)

    def add(self, *, path, title, **_):
        project = Project.objects.add(path, title)
        self.stdout.write(f"Added project {project.id}: {project.title} ({project.path})")

    def list(self, *, json, **_):
        projects = Project.objects.listing()
        if json:
            return self.print_json(projects)
        if not projects:
            return self.stdout.write("No projects. Add one with `manage.py project add PATH`.")
        self.print_table(
            ("ID", "TITLE", "FOLDER", "GIT"),
            ((p["id"], p["title"], p["path"], "yes" if p["isGitRepo"] else "no") for p in projects),
        )

    def rename(self, *, project, title, **_):
        found = _project(project)
        found.rename(title)
        self.stdout.write(f"Renamed project {found.id} to {found.title!r}.")

    def remove(self, *, project, force, **_):
        found = _project(project)
        project_id = found.id  # delete() clears it
        closed = found.remove(force=force)
        closed_text = f"; closed {closed} terminal(s)" if closed else ""
        self.stdout.write(f"Removed project {project_id} ({found.title!r}); its folder is untouched{closed_text}.")
