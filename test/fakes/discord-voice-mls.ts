/**
 * The few MLS (RFC 9420) messages a Discord voice server writes and reads as DAVE's delivery
 * service and external sender (https://daveprotocol.com, "Group Key Exchange"): its
 * ExternalSender package, signed external Add and Remove proposals, and the framing of the
 * members' commits (group, epoch, where the Welcome that follows begins). Everything else (key
 * packages, commits, welcomes, media keys) is made and checked by the members themselves, real
 * DAVE sessions (@snazzah/davey, OpenMLS). Ciphersuite 2 (P-256, SHA-256), basic credentials.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

/** RFC 9420 §2.1.2 variable-size vector length. */
function varint(n: number): Buffer {
  if (n < 0x40) return Buffer.from([n]);
  if (n < 0x4000) return Buffer.from([0x40 | (n >> 8), n & 0xff]);
  const b = Buffer.alloc(4);
  b.writeUInt32BE((0x80000000 | n) >>> 0);
  return b;
}
const vec = (bytes: Buffer) => Buffer.concat([varint(bytes.length), bytes]);
const u8 = (n: number) => Buffer.from([n]);
const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
};

const MLS10 = 1;
const PUBLIC_MESSAGE = 1;
const SENDER_MEMBER = 1;
const SENDER_EXTERNAL = 2;
const CONTENT_PROPOSAL = 2;
const CONTENT_COMMIT = 3;
const PROPOSAL_ADD = 1;
const PROPOSAL_REMOVE = 3;
const BASIC_CREDENTIAL = 1;

/** A snowflake as DAVE's MLS identities and group ids carry it: 8 bytes, big endian. */
export const snowflakeBytes = (id: string) => u64(BigInt(id));

/** Reads TLS-presentation fields in order. */
class Reader {
  constructor(
    private readonly buf: Buffer,
    public at = 0,
  ) {}
  get remaining(): number {
    return this.buf.length - this.at;
  }
  u8() {
    return this.buf.readUInt8(this.take(1));
  }
  u16() {
    return this.buf.readUInt16BE(this.take(2));
  }
  u32() {
    return this.buf.readUInt32BE(this.take(4));
  }
  u64() {
    return this.buf.readBigUInt64BE(this.take(8));
  }
  vec(): Buffer {
    const first = this.buf[this.at]!;
    const size = 1 << (first >> 6);
    if (size === 8) throw new Error('MLS: bad vector length');
    let n = first & 0x3f;
    for (let i = 1; i < size; i++) n = n * 256 + this.buf[this.at + i]!;
    this.at += size;
    return this.buf.subarray(this.take(n), this.at);
  }
  private take(n: number): number {
    if (this.at + n > this.buf.length) throw new Error('MLS: message truncated');
    const at = this.at;
    this.at += n;
    return at;
  }
}

/** The voice server's external sender: a P-256 signing key and a basic credential. */
export class ExternalSender {
  private readonly key: KeyObject;
  private readonly publicKey: Buffer;

  constructor(private readonly identity = Buffer.from('hearth-fake-voice-gateway')) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.key = privateKey;
    // SEC1 uncompressed point, as OpenMLS reads a P-256 SignaturePublicKey
    const jwk = publicKey.export({ format: 'jwk' });
    this.publicKey = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  }

  /** ExternalSender { signature_key<V>, Credential }: the payload of dave_mls_external_sender_package (25). */
  package(): Buffer {
    return Buffer.concat([vec(this.publicKey), u16(BASIC_CREDENTIAL), vec(this.identity)]);
  }

  /** An external Add proposal for a pending member's key package (a KeyPackage as davey serialises it). */
  add(groupId: Buffer, epoch: bigint, keyPackage: Buffer): Buffer {
    return this.proposal(groupId, epoch, Buffer.concat([u16(PROPOSAL_ADD), keyPackage]));
  }

  /** An external Remove proposal for a member's leaf. */
  remove(groupId: Buffer, epoch: bigint, leafIndex: number): Buffer {
    return this.proposal(groupId, epoch, Buffer.concat([u16(PROPOSAL_REMOVE), u32(leafIndex)]));
  }

  /** MLSMessage(PublicMessage) from external sender 0, signed over FramedContentTBS (no group context for an external sender). */
  private proposal(groupId: Buffer, epoch: bigint, proposal: Buffer): Buffer {
    const content = Buffer.concat([
      vec(groupId),
      u64(epoch),
      u8(SENDER_EXTERNAL),
      u32(0),
      vec(Buffer.alloc(0)), // authenticated_data
      u8(CONTENT_PROPOSAL),
      proposal,
    ]);
    const header = Buffer.concat([u16(MLS10), u16(PUBLIC_MESSAGE)]);
    const tbs = Buffer.concat([header, content]);
    // SignWithLabel: SignContent { label<V> = "MLS 1.0 " + label, content<V> }, ECDSA P-256/SHA-256, DER
    const signContent = Buffer.concat([vec(Buffer.from('MLS 1.0 FramedContentTBS')), vec(tbs)]);
    const signature = sign('sha256', signContent, this.key);
    return Buffer.concat([header, content, vec(signature)]);
  }
}

/** dave_mls_proposals (27), append: the operation type and the proposal messages as one vector. */
export function appendProposals(messages: readonly Buffer[]): Buffer {
  return Buffer.concat([u8(0), vec(Buffer.concat(messages))]);
}

export interface CommitWelcome {
  readonly groupId: Buffer;
  readonly epoch: bigint;
  /** The committer's leaf. */
  readonly sender: number;
  /** Proposals the commit carries, by reference or by value (each entry's bytes). */
  readonly proposalCount: number;
  readonly commit: Buffer;
  readonly welcome: Buffer | undefined;
}

function skipLeafNode(r: Reader): void {
  r.vec(); // encryption_key
  r.vec(); // signature_key
  const credentialType = r.u16();
  if (credentialType !== BASIC_CREDENTIAL) throw new Error('MLS: DAVE allows basic credentials only');
  r.vec(); // identity
  for (let i = 0; i < 5; i++) r.vec(); // capabilities: versions, cipher_suites, extensions, proposals, credentials
  const source = r.u8();
  if (source === 1) {
    r.u64();
    r.u64(); // lifetime
  } else if (source === 3) r.vec(); // parent_hash
  r.vec(); // extensions
  r.vec(); // signature
}

/**
 * dave_mls_commit_welcome (28): an MLSMessage(PublicMessage) commit from a member, then (when it
 * adds someone) the Welcome. The commit is read field by field to find where the Welcome begins.
 */
export function readCommitWelcome(payload: Buffer): CommitWelcome {
  const r = new Reader(payload);
  if (r.u16() !== MLS10 || r.u16() !== PUBLIC_MESSAGE) throw new Error('MLS: a DAVE commit is a PublicMessage');
  const groupId = Buffer.from(r.vec());
  const epoch = r.u64();
  if (r.u8() !== SENDER_MEMBER) throw new Error('MLS: a DAVE commit comes from a member');
  const sender = r.u32();
  r.vec(); // authenticated_data
  if (r.u8() !== CONTENT_COMMIT) throw new Error('MLS: not a commit');
  const proposals = new Reader(r.vec());
  let proposalCount = 0;
  while (proposals.remaining > 0) {
    // ProposalOrRef: reference(2) is a HashReference<V>; a proposal by value is refused by DAVE
    if (proposals.u8() !== 2) throw new Error('MLS: DAVE commits reference proposals');
    proposals.vec();
    proposalCount++;
  }
  if (r.u8() === 1) {
    skipLeafNode(r); // UpdatePath.leaf_node
    r.vec(); // UpdatePath.nodes
  }
  r.vec(); // signature
  r.vec(); // confirmation_tag
  r.vec(); // membership_tag
  const commit = payload.subarray(0, r.at);
  const rest = payload.subarray(r.at);
  return { groupId, epoch, sender, proposalCount, commit, welcome: rest.length ? rest : undefined };
}
