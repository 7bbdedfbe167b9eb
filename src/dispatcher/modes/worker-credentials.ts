/** WorkerCredentials: the dispatcher's ROUTER authorize hook (version and secret from the handshake's `X-Faas-Auth`, or the CURVE key), and which worker each authorized connection is. */
import { AUTH_PROPERTY, decodeHandshakeAuth, PROTOCOL_VERSION } from "../../protocol/index.ts";
import type { Authorize, HandshakePeer, PeerInfo } from "../../zmtp/index.ts";
import { SecretCheck } from "./secret-check.ts";

const PROPERTY = AUTH_PROPERTY.toLowerCase();
/** Closed connections whose worker is still remembered, for messages they sent that are handled after they closed. */
const RECENT = 4096;

/**
 * Connections are authorized at handshake from the credentials every worker socket presents there (protocol 3): a
 * wrong secret or version is refused with a ZMTP ERROR, a connection without credentials stays unauthenticated (the
 * ROUTER's small budget and time limit; its first message, a worker of an older version, is answered DENIED with the
 * reason). An authorized connection is bound to the worker id it presented: messages on it must name that worker.
 *
 * Under CURVE (`authorizedKeys` given) the secret is not checked: a connection is refused unless its proven public key
 * is listed, and the worker id it presents must be `KEY` or begin with `KEY/` (a worker process presents `KEY/host-pid-random`), so the
 * identity results are checked against is the worker's public key (plus which process of that key holder).
 */
export class WorkerCredentials {
  private readonly secret: SecretCheck;
  /** Worker id by connection key (routing id as latin1), for connections authorized at handshake. */
  private readonly byConn = new Map<string, string>();
  /** The same for connections that closed lately (oldest first): a message received before the close still counts. */
  private readonly recent = new Map<string, string>();

  constructor(
    secret: string | undefined,
    private readonly authorizedKeys?: ReadonlySet<string>,
  ) {
    this.secret = new SecretCheck(authorizedKeys === undefined ? secret : undefined);
  }

  /** The ROUTER's `authorize` option: the version and secret under NULL; under CURVE the client's public key first. */
  readonly authorize: Authorize = (peer: HandshakePeer) => {
    if (this.authorizedKeys !== undefined) {
      const key = peer.publicKey;
      if (key === null) return "this dispatcher requires CURVE";
      if (!this.authorizedKeys.has(key)) return `worker key ${key} is not in the dispatcher's --authorized-workers`;
    }
    const raw = peer.metadata.get(PROPERTY);
    if (raw === undefined) return false;
    const auth = decodeHandshakeAuth(raw);
    if (auth === null) return `malformed ${AUTH_PROPERTY} (expected "version workerId secret", version ${PROTOCOL_VERSION})`;
    const key = peer.publicKey;
    if (this.authorizedKeys !== undefined && key !== null && auth.workerId !== key && !auth.workerId.startsWith(`${key}/`)) {
      return `under CURVE the worker id must be the worker's public key or begin with "KEY/" (got ${auth.workerId})`;
    }
    return this.secret.denial(auth) ?? true;
  };

  /** Null when a worker presenting `auth` in a message may talk to us, else why not. */
  denial(auth: Parameters<SecretCheck["denial"]>[0]): string | null {
    return this.secret.denial(auth);
  }

  /** A handshake completed on connection `key`: remember whose it is when it was authorized there. */
  joined(key: string, peer: PeerInfo): void {
    if (!peer.authenticated) return;
    const auth = decodeHandshakeAuth(peer.metadata.get(PROPERTY));
    if (auth !== null) this.byConn.set(key, auth.workerId);
  }

  /** Connection `key` closed. */
  left(key: string): void {
    const workerId = this.byConn.get(key);
    if (workerId === undefined) return;
    this.byConn.delete(key);
    this.recent.set(key, workerId);
    if (this.recent.size > RECENT) this.recent.delete(this.recent.keys().next().value as string);
  }

  /**
   * Null when a message naming `workerId` may be handled on connection `key` (authorized at handshake as that
   * worker), else why not.
   */
  refusal(key: string, workerId: string): string | null {
    const own = this.byConn.get(key) ?? this.recent.get(key);
    if (own === workerId) return null;
    if (own === undefined) return `no credentials in the handshake: this dispatcher speaks protocol ${PROTOCOL_VERSION}, which presents them in ${AUTH_PROPERTY}`;
    return `this connection was authorized as worker ${own}, not ${workerId}`;
  }
}

