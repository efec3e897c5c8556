/**
 * `atalaya release keygen|sign`: the release signer's side of signed updates (issue 16 §4). The
 * private key stays with whoever builds releases; relays and gateways get only the public key.
 * `npm run release` builds the tarball unsigned; signing is this separate step.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sha256File } from '../platform/sha256-file.ts';
import { encodeManifest, generateReleaseKeyPair, releasePrivateKey, signManifest, VERSION } from '../protocols/release/index.ts';

const HELP = `atalaya release keygen --out FILE [--public FILE]
atalaya release sign <tarball> --key FILE [--version V]

keygen  new ed25519 release key: the private key (PKCS#8 PEM) to a new file readable only by its
        owner, the public key (SPKI PEM, what relays and gateways trust) to stdout, and to --public
sign    writes <tarball>.manifest.json { version, file, size, sha256, created_at } and its
        detached signature <tarball>.manifest.json.sig (base64) next to the tarball; the version is
        read from the tarball's name (atalaya-<version>-linux-<arch>.tar.gz) unless --version
`;

export async function releaseCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      public: { type: 'string' },
      key: { type: 'string' },
      version: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const [sub, ...rest] = positionals;
  if (values.help === true || sub === undefined) {
    process.stdout.write(HELP);
    return sub === undefined && values.help !== true ? 2 : 0;
  }
  if (sub === 'keygen') {
    if (values.out === undefined || rest.length > 0) return usage('keygen needs --out FILE');
    const pair = generateReleaseKeyPair();
    // wx: never overwrite a key; 0600: the private key is readable by its owner only.
    writeFileSync(values.out, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
    if (values.public !== undefined) writeFileSync(values.public, pair.publicKeyPem, { flag: 'wx' });
    process.stdout.write(pair.publicKeyPem);
    process.stderr.write(`private release key written to ${values.out} (keep it off relays, gateways and the repository)\n`);
    return 0;
  }
  if (sub === 'sign') {
    const [tarball, ...extra] = rest;
    if (tarball === undefined || extra.length > 0 || values.key === undefined) return usage('sign needs <tarball> --key FILE');
    const version = values.version ?? /^atalaya-(.+)-linux-[a-z0-9]+\.tar\.gz$/.exec(path.basename(tarball))?.[1];
    if (version === undefined || !VERSION.test(version)) return usage(`no usable version in ${path.basename(tarball)}: pass --version`);
    const key = releasePrivateKey(readFileSync(values.key, 'utf8'));
    const manifest = encodeManifest({
      version,
      file: path.basename(tarball),
      size: statSync(tarball).size,
      sha256: await sha256File(tarball),
      created_at: new Date().toISOString(),
    });
    const out = `${tarball}.manifest.json`;
    writeFileSync(out, manifest);
    writeFileSync(`${out}.sig`, `${signManifest(manifest, key)}\n`);
    process.stdout.write(`${out}\n${out}.sig\n`);
    return 0;
  }
  return usage(`unknown subcommand '${sub}'`);
}

function usage(problem: string): number {
  process.stderr.write(`atalaya release: ${problem}\n\n${HELP}`);
  return 2;
}
