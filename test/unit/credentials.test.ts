import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { CredentialsStore } from '../../lib/config/credentials.js';
import { ConfigErrors, UserError } from '../../lib/config/errors.js';
import { ConfigTree } from '../helpers/configTree.js';

let tree: ConfigTree;
beforeEach(() => { tree = new ConfigTree(); });
afterEach(() => tree.remove());

function store(lines: readonly string[]): CredentialsStore {
  return CredentialsStore.load(tree.write('credentials.conf', lines, 0o600), 'credentials.conf');
}

describe('credentials.conf', () => {
  it('finds the password of a URL by scheme, host, user and port, with the default port and no port the same', () => {
    const credentials = store([
      '# mail accounts',
      'imaps://ingest:first@Mail.Example.com/',
      'imaps://clerk:second@mail.example.com:993/',
      'pops://ingest:third@mail.example.com:995',
      'imaps://ingest:fourth@mail.example.com:1993/',
    ]);
    assert.equal(credentials.lookup('imaps://ingest@mail.example.com:993/')?.url.password, 'first');
    assert.equal(credentials.lookup('imaps://clerk@MAIL.example.com/')?.url.password, 'second');
    assert.equal(credentials.lookup('pops://ingest@mail.example.com/')?.url.password, 'third');
    assert.equal(credentials.lookup('imaps://ingest@mail.example.com:1993/')?.url.password, 'fourth');
    assert.equal(credentials.lookup('imap://ingest@mail.example.com/'), undefined, 'the scheme must match');
    assert.equal(credentials.lookup('imaps://nobody@mail.example.com/'), undefined, 'the user must match');
    assert.equal(credentials.lookup('imaps://mail.example.com/')?.url.user, 'ingest', 'no user in the URL: the first entry for the server');
  });

  it('decodes percent-encoded passwords exactly once', () => {
    const credentials = store(['imaps://ingest:p%40ss%2Fw%3Ard%23%3F@h/', 'imaps://twice:100%2541@h/']);
    assert.equal(credentials.lookup('imaps://ingest@h/')?.url.password, 'p@ss/w:rd#?');
    assert.equal(credentials.lookup('imaps://twice@h/')?.url.password, '100%41', '%25 gives %, which is not decoded again');
  });

  it('matches AMQP entries on the vhost, / and empty being the same', () => {
    const credentials = store(['amqp://feeder:one@broker/', 'amqp://feeder:two@broker/mail', 'amqps://feeder:three@broker:5671']);
    assert.equal(credentials.lookup('amqp://feeder@broker')?.url.password, 'one');
    assert.equal(credentials.lookup('amqp://feeder@broker:5672/mail')?.url.password, 'two');
    assert.equal(credentials.lookup('amqps://feeder@broker/')?.url.password, 'three');
  });

  it('reads details after the URL', () => {
    const credentials = store(['amqps://feeder:pw@broker/ login_method=PLAIN, tls']);
    assert.deepEqual(credentials.lookup('amqps://feeder@broker/')?.details, { login_method: 'PLAIN', tls: true });
  });

  it('warns about an unknown detail without failing', () => {
    const credentials = store(['imaps://u:pw@h/ colour=blue']);
    assert.deepEqual(credentials.warnings, ['credentials.conf:1: unknown detail "colour" ignored']);
  });

  it('leaves the lines of schemes mailpump does not use to sr3, checking only its own, and masks their secrets', () => {
    const keyFile = tree.write('id_ed25519', ['key'], 0o600);
    const credentials = store([
      'https://hpfx.collab.science.gc.ca/ bearer_token=tok-3141592',
      `sftp://feeder@sftp.example.org/ ssh_keyfile=${keyFile}`,
      'ftp://anonymous:ftp-secret@ftp.example.org/ passive,binary',
      's3://bucket/ s3_session_token=s3tok',
      'imaps://ingest:pw@mail.example.org/',
    ]);
    assert.equal(credentials.lookup('imaps://ingest@mail.example.org/')?.url.password, 'pw');
    assert.equal(credentials.lookup('sftp://feeder@sftp.example.org/'), undefined, 'no use to mailpump');
    assert.deepEqual(credentials.warnings, []);
    assert.deepEqual(credentials.notes, [1, 2, 3, 4].map((line) => `credentials.conf:${line}: a ${['https', 'sftp', 'ftp', 's3'][line - 1]}: line, not one of mailpump's schemes: left to sr3`));
    assert.deepEqual(credentials.secrets().sort(), ['ftp-secret', 'pw', 's3tok', 'tok-3141592']);
    assert.throws(() => store(['https://host/ bearer_token=x', 'imaps://ingest@mail.example.org/']), (error: unknown) =>
      error instanceof ConfigErrors && error.message.includes('credentials.conf:2:') && error.message.includes('has no password'));
  });

  it('reads an OAuth2 line without password, and refuses what cannot sign in, naming the line', () => {
    const credentials = store(['imaps://ingest%40contoso.com@outlook.office365.com/ oauth2=command, command=/usr/local/bin/mail-token ingest@contoso.com']);
    assert.deepEqual(credentials.signInFor('imaps://ingest%40contoso.com@outlook.office365.com/', 'x'), { kind: 'oauth2', provider: 'command', command: '/usr/local/bin/mail-token ingest@contoso.com', line: 1 });
    const refused = (line: string) => {
      try {
        store([line]);
        return '';
      } catch (error) {
        if (!(error instanceof ConfigErrors)) throw error;
        return error.message;
      }
    };
    assert.match(refused('imaps://u:pw@h/ oauth2=command, command=/bin/tok'), /^credentials\.conf:1: .*has both a password and oauth2=: keep one/);
    assert.match(refused('imaps://u@h/ oauth2=comand, command=/bin/tok'), /not a provider .*did you mean oauth2=command\?/);
    assert.match(refused('imaps://u@h/ oauth2=command'), /has oauth2=command but no command=/);
    assert.match(refused('imaps://u@h/ oauth2=microsoft, tenant=contoso'), /^credentials\.conf:1: .*has oauth2=microsoft but no client_id= \(the Application \(client\) ID/);
    assert.match(refused('imaps://u@h/ oauth2=microsoft, client_id=x, tennant=contoso'), /has the detail tennant, which an oauth2= line does not take \(did you mean tenant\?\)/);
    assert.match(refused('imaps://u@h/ oauth2=microsoft-app, client_id=x, client_secret=s'), /app-only sign-in needs the tenant's ID or domain/);
    assert.match(refused('imaps://u@h/ oauth2=microsoft-app, tenant=common, client_id=x, client_secret=s'), /oauth2=microsoft-app but tenant=common/);
    assert.match(refused('imaps://u@h/ oauth2=microsoft-app, tenant=contoso.onmicrosoft.com, client_id=x'), /neither client_secret= nor client_certificate= \(Entra/);
    assert.match(refused('imaps://u@h/ oauth2=google, client_id=x'), /oauth2=google but no client_secret=/);
    assert.match(refused('imaps://u@h/ oauth2=google-service-account'), /no key_file=/);
    assert.match(refused('imaps://u@h/ oauth2=generic, client_id=x'), /neither issuer= \(discovered\) nor token_url=/);
    assert.match(refused('imaps://u@h/ oauth2=generic, client_id=x, token_url=http://idp.example.org/token, device_url=https://idp.example.org/device'),
      /token_url=http:\/\/idp\.example\.org\/token: a token endpoint must be https:\/\/ \(plain http only on this host's loopback address\)/);
    assert.equal(refused('imaps://u@h/ oauth2=generic, client_id=x, token_url=http://127.0.0.1:8080/token, device_url=http://[::1]:8080/device'), '');
    const microsoft = store(['imaps://ingest%40contoso.com@outlook.office365.com/ oauth2=microsoft, tenant=contoso.onmicrosoft.com, client_id=2f1c'])
      .signInFor('imaps://ingest%40contoso.com@outlook.office365.com/', 'x');
    assert.ok(microsoft.kind === 'oauth2' && microsoft.provider === 'microsoft');
    assert.deepEqual(microsoft.settings.flows, ['device', 'browser']);
    assert.equal(microsoft.settings.endpoints && 'token' in microsoft.settings.endpoints ? microsoft.settings.endpoints.token : '', 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token');
    assert.match(microsoft.settings.scope, /^https:\/\/outlook\.office\.com\/IMAP\.AccessAsUser\.All https:\/\/outlook\.office\.com\/POP\.AccessAsUser\.All offline_access$/);
    // imaps:// and pops:// of one mailbox share one grant
    const both = store(['imaps://a%40c.com@outlook.office365.com/ oauth2=microsoft, client_id=9', 'pops://a%40c.com@outlook.office365.com/ oauth2=microsoft, client_id=9']);
    const keys = ['imaps', 'pops'].map((scheme) => { const signIn = both.signInFor(`${scheme}://a%40c.com@outlook.office365.com/`, 'x'); return signIn.kind === 'oauth2' && signIn.provider !== 'command' ? signIn.settings.grantKey : ''; });
    assert.equal(keys[0], keys[1]);
    assert.deepEqual(store(['imaps://u@h/ oauth2=generic, client_id=x, token_url=https://i/t, client_secret=a%2Cb%20c']).secrets(), ['a,b c'], 'a client secret is percent-decoded once, and masked');
    assert.match(refused('amqps://u@h/ oauth2=command, command=/bin/tok'), /which is for mailboxes/);
    assert.deepEqual(store(['imaps://u@h/ oauth2=command, command=/bin/tok, client_secret=s3cr3t']).secrets(), ['s3cr3t']);
  });

  it('reports bad lines by line number without showing the password', () => {
    try {
      store(['imaps://ingest@h/', 'imaps://:topsecret@h/', 'not a url at all', 'imaps://u:bad%zzsecret@h/']);
      assert.fail('expected errors');
    } catch (error) {
      assert.ok(error instanceof ConfigErrors);
      const text = error.message;
      assert.match(text, /^credentials.conf:1: imaps:\/\/ingest@h\/ has no password/m);
      assert.match(text, /^credentials.conf:2: imaps:\/\/:\*\*\*@h\/ has no user name/m);
      assert.match(text, /^credentials.conf:3: not is not a URL/m);
      assert.match(text, /^credentials.conf:4: imaps:\/\/u:\*\*\*@h\/ has a badly percent-encoded user or password/m);
      assert.doesNotMatch(text, /topsecret|zzsecret/);
    }
  });

  it('never shows a password that broke its line: a space, an unencoded slash', () => {
    const cases: Array<[string, RegExp]> = [
      ['imaps://u:zebra quokka@h/', /zebra|quokka/], ['imaps://u:1234 5678@h/', /1234|5678/], ['imaps://u:ib/ex w@h/', /ib\/|ex w/], ['imaps://u:kiwi mango', /kiwi|mango/],
    ];
    for (const [line, secret] of cases) {
      try {
        store([line]);
        assert.fail(`expected an error for ${line}`);
      } catch (error) {
        assert.ok(error instanceof ConfigErrors, String(error));
        assert.match(error.message, /^credentials.conf:1: imaps:\/\/u:\*\*\*/);
        assert.doesNotMatch(error.message, secret);
      }
    }
  });

  it('says what is wrong with a credentials.conf that is a directory or not a file, without a stack', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpump-cred-'));
    try {
      assert.throws(() => CredentialsStore.load(dir, 'credentials.conf'), (error: unknown) => error instanceof UserError && /credentials.conf: is a directory/.test(error.message));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a file that group or others can read, saying how to fix it', () => {
    const file = tree.write('credentials.conf', ['imaps://u:pw@h/'], 0o644);
    assert.throws(() => CredentialsStore.load(file), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /can be read by group or others \(mode 0644\)/);
      assert.ok(error.message.endsWith(`chmod 600 ${file}`));
      return true;
    });
  });

  it('treats a missing file as empty and lists passwords for redaction', () => {
    assert.equal(CredentialsStore.load(`${tree.root}/none.conf`).lookup('imaps://u@h/'), undefined);
    assert.deepEqual(store(['imaps://u:one@h/', 'amqp://v:two@b/']).secrets(), ['one', 'two']);
  });
});

describe('credentials.example.conf', () => {
  it('documents forms that parse and that the config URLs a user would write find', async () => {
    const { REPO } = await import('../helpers/sandbox.js');
    const fs = await import('node:fs');
    const lines = fs.readFileSync(`${REPO}/credentials.example.conf`, 'utf8').split('\n')
      .filter((line) => /^#[a-z]+:\/\//.test(line)).map((line) => line.slice(1));
    assert.ok(lines.length >= 8, 'every form is there');
    const credentials = store(lines);
    for (const [url, password] of [
      ['imaps://ingest@mail.example.com/', 'Secret/one'],
      ['imap://ingest@mail.example.com:143/', 'Secret/one'],
      ['pops://treasury@pop.example.com:995/', 'An0ther@pass'],
      ['pop://treasury@pop.example.com/', 'An0ther@pass'],
      ['imaps://archive@mail.example.com:1993/', 'Third:pass'],
      ['imaps://ingest.office%40gmail.com@imap.gmail.com/', 'abcdefghijklmnop'],
      ['amqp://feeder@broker.example.com', 'Br0ker#pass'],
      ['amqps://feeder@broker.example.com:5671/ingest', 'Br0ker#pass'],
    ] as const) {
      assert.equal(credentials.lookup(url)?.url.password, password, url);
    }
  });
});
