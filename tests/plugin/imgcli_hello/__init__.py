"""A plugin command living in another distribution, found through imgcli's entry-point group."""

from cliff.command import Command


class HelloWorld(Command):
    """Say hello, with the image API version imgcli resolved"""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--to", default="world")
        return parser

    def take_action(self, parsed_args):
        version = self.app.settings.image_api_version
        self.app.stdout.write(f"hello {parsed_args.to} (image API v{version})\n")
        return 0
