"""Every option keyword the vendored sr3 knows, one per line: its typed option lists, its
synonyms (both sides), its v2 conversions, its defaults, the keywords its parser handles
itself, and the options its plugins add. mailpump's tests compare this with what mailpump
knows (lib/config/sr3Options.ts); `npm run docs:sr3` lists them in docs/sr3.md."""
import glob
import os
import re
import sys

SR3 = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', 'shared', 'vendor', 'sr3')
sys.path.insert(0, SR3)
import sarracenia.config as config  # noqa: E402

words = set()
for typed in ['count_options', 'flag_options', 'float_options', 'duration_options', 'list_options',
              'set_options', 'perm_options', 'size_options', 'str_options']:
    words |= set(getattr(config, typed))
words |= set(config.Config.synonyms.keys()) | set(config.Config.synonyms.values())
words |= set(config.convert_to_v3.keys()) | set(config.default_options.keys())
source = open(os.path.join(SR3, 'sarracenia', 'config', '__init__.py')).read()
for group in re.findall(r"k (?:==|in) (\[[^\]]*\]|'[A-Za-z_0-9-]+')", source):
    words |= set(re.findall(r"'([A-Za-z_0-9-]+)'", group))
for plugin in glob.glob(os.path.join(SR3, 'sarracenia', '**', '*.py'), recursive=True):
    words |= set(re.findall(r"add_option\(\s*(?:option\s*=\s*)?['\"]([A-Za-z_0-9]+)['\"]", open(plugin).read()))
for word in sorted(words):
    print(word)
