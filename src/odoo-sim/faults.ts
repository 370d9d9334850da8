/**
 * Fault injection for the simulator: what the next matching requests suffer (latency, HTTP 5xx,
 * a hang, a reset, Odoo business errors, serialization failures, swallowed post-create errors).
 * Faults are plain data so a test in another process can set them over POST /pos-hub-sim/faults;
 * count-based faults are consumed one matching request at a time.
 */

/** `before`: fail without touching data; `after`: run the call (commit) and then fail the answer. */
export type FaultPhase = 'before' | 'after';

export interface CountedFault {
  /** How many more matching requests suffer it. */
  count: number;
  /** Substring of the request label (`/web/session/authenticate`, `pos.order.create_from_ui`…); absent = every JSON-RPC route. */
  match?: string;
  phase?: FaultPhase;
}

export interface HttpFault extends CountedFault {
  status: 500 | 502 | 503 | 504;
}

export interface BusinessFault {
  /** How many more create_from_ui / hub_finalize_snapshot calls raise it. */
  count: number;
  message?: string;
  /** Which method; absent = both. */
  method?: 'create_from_ui' | 'hub_finalize_snapshot';
}

export interface SimFaults {
  /** Delay before every JSON-RPC answer, in ms. */
  latencyMs: number;
  http: HttpFault | null;
  /** Never answer (the client's timeout fires); the socket is destroyed when the sim closes. */
  hang: CountedFault | null;
  /** Destroy the socket without an answer (ECONNRESET / "socket hang up"). */
  reset: CountedFault | null;
  userError: BusinessFault | null;
  validationError: BusinessFault | null;
  /** Executions of a call_kw that fail with SERIALIZATION_FAILURE; Odoo retries 5 times itself. */
  serializationFailures: number;
  /** Odoo's own retry sleep is uniform(0, 2**try) s; tests set 0. */
  serializationRetryDelayMs: number;
  /** pos_references Odoo always refuses with a UserError (a poison order). */
  poisonReferences: string[];
  /** Next N created orders fail in action_pos_order_paid: swallowed, the order stays draft. */
  postCreateFailures: number;
  /** `list_db = False` in the server config. */
  listDb: boolean;
  /**
   * The next `count` create_from_ui calls search for existing references at once but commit `ms` later, as
   * 12.0 does under REPEATABLE READ with a slow call: a concurrent call does not see them and creates again.
   */
  slowCreate: { count: number; ms: number } | null;
}

export function defaultFaults(): SimFaults {
  return {
    latencyMs: 0,
    http: null,
    hang: null,
    reset: null,
    userError: null,
    validationError: null,
    serializationFailures: 0,
    serializationRetryDelayMs: 0,
    poisonReferences: [],
    postCreateFailures: 0,
    listDb: true,
    slowCreate: null,
  };
}

/** Take one unit of a counted transport fault if it matches this request and phase. */
export function takeCounted<T extends CountedFault>(fault: T | null, label: string, phase: FaultPhase): T | null {
  if (!fault || fault.count <= 0) return null;
  if ((fault.phase ?? 'before') !== phase) return null;
  if (fault.match !== undefined && !label.includes(fault.match)) return null;
  fault.count -= 1;
  return fault;
}

/** Take one unit of a business fault for this method. */
export function takeBusiness(fault: BusinessFault | null, method: 'create_from_ui' | 'hub_finalize_snapshot'): BusinessFault | null {
  if (!fault || fault.count <= 0) return null;
  if (fault.method !== undefined && fault.method !== method) return null;
  fault.count -= 1;
  return fault;
}
