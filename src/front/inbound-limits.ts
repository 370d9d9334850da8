/**
 * The front's bounds on what a terminal may send, read once from the config: the per-frame limits the
 * codecs pre-scan with, the pass-through bounds the schemas apply, the pre-AUTH frame size and the
 * floor-plan size. One place, so the README's security table and the code cannot drift apart.
 */
import type { Config } from '../config.js';
import type { FrameLimits, PassThroughLimits } from '../protocol/frame-limits.js';

export interface InboundLimits {
  readonly frame: FrameLimits;
  readonly passThrough: PassThroughLimits;
  /** Before AUTH_OK nothing larger is decoded: a stranger cannot make the front parse big frames. */
  readonly preAuthMaxBytes: number;
  readonly floorPlanMaxBytes: number;
}

export function inboundLimits(config: Config): InboundLimits {
  return Object.freeze({
    frame: Object.freeze({
      maxBytes: config.HUB_FRAME_MAX_BYTES,
      maxDepth: config.HUB_FRAME_MAX_DEPTH,
      maxKeys: config.HUB_FRAME_MAX_KEYS,
      maxArray: config.HUB_FRAME_MAX_ARRAY,
      maxString: config.HUB_FRAME_MAX_STRING,
    }),
    passThrough: Object.freeze({ maxDepth: config.HUB_PASSTHROUGH_MAX_DEPTH, maxBytes: config.HUB_PASSTHROUGH_MAX_BYTES }),
    preAuthMaxBytes: config.HUB_PREAUTH_MAX_BYTES,
    floorPlanMaxBytes: config.HUB_FLOOR_PLAN_MAX_BYTES,
  });
}
