import { ErrorCode } from '../../protocol/error-codes.js';

/**
 * KIP-320: a request naming a leader epoch (>= 0) older than the partition's is fenced; a newer
 * one means this broker has not caught up with the metadata yet. -1 means "not checked".
 */
export function leaderEpochError(requested: number, current: number): number {
  if (requested < 0 || requested === current) return ErrorCode.NONE;
  return requested < current ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
}
