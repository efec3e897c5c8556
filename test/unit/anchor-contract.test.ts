import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACT_FILE, type CompiledAnchor, compileAnchorContract, renderArtifact, SOURCE_FILE } from '../../cloud/anchor/contract/compile.ts';
import { ANCHOR_ARTIFACT } from '../../protocols/anchor/contract/artifact.ts';

/**
 * The committed artifact is what the committed source compiles to: editing AtalayaAnchor.sol
 * without `npm run contract` fails here. solc's metadata hash (CBOR at the end of the bytecode)
 * covers the source text, so even a changed comment changes the bytecode.
 */
describe('AtalayaAnchor artifact', () => {
  const source = readFileSync(SOURCE_FILE, 'utf8');
  let compiled: CompiledAnchor;
  beforeAll(() => {
    compiled = compileAnchorContract(source);
  });

  it('has the sha256 of the committed source', () => {
    expect(ANCHOR_ARTIFACT.sourceSha256).toBe(createHash('sha256').update(readFileSync(SOURCE_FILE)).digest('hex'));
  });

  it('equals a fresh compilation field by field', () => {
    expect(ANCHOR_ARTIFACT.compiler).toBe(compiled.compiler);
    expect(ANCHOR_ARTIFACT.sourceSha256).toBe(compiled.sourceSha256);
    expect(ANCHOR_ARTIFACT.bytecode).toBe(compiled.bytecode);
    expect(ANCHOR_ARTIFACT.deployedBytecode).toBe(compiled.deployedBytecode);
    expect(ANCHOR_ARTIFACT.abi).toEqual(compiled.abi);
    expect(ANCHOR_ARTIFACT.immutableReferences).toEqual(compiled.immutableReferences);
    expect(ANCHOR_ARTIFACT.settings).toEqual(compiled.settings);
    expect(ANCHOR_ARTIFACT.contractName).toBe('AtalayaAnchor');
  });

  it('is byte for byte the module npm run contract writes', () => {
    expect(readFileSync(ARTIFACT_FILE, 'utf8')).toBe(renderArtifact(compiled));
  });

  it('locates the owner immutable inside the runtime code (two 32-byte slots)', () => {
    const refs = Object.values(ANCHOR_ARTIFACT.immutableReferences).flat();
    expect(refs.length).toBeGreaterThan(0);
    const code = Buffer.from(ANCHOR_ARTIFACT.deployedBytecode.slice(2), 'hex');
    for (const ref of refs) {
      expect(ref.length).toBe(32);
      // Unlinked immutables are zero-filled in the compiler's output.
      expect(code.subarray(ref.start, ref.start + ref.length).equals(Buffer.alloc(32))).toBe(true);
    }
  });

  it('would catch an edited source: a changed comment changes sourceSha256 and the bytecode', () => {
    const edited = compileAnchorContract(source.replace('Atalaya anchor:', 'Atalaya anchor (edited):'));
    expect(edited.sourceSha256).not.toBe(ANCHOR_ARTIFACT.sourceSha256);
    expect(edited.deployedBytecode).not.toBe(ANCHOR_ARTIFACT.deployedBytecode);
  });
});
