/**
 * Tolerant readers of untyped resource properties. The inputs in the synth
 * document (synth-document.ts) and the props the engine hands a policy are
 * both unchecked JSON: a reader gets the shape it asked for or an empty one,
 * never an exception, so the synth summary and the pack's rules read them the
 * same way.
 */

export type Obj = Record<string, unknown>;
export const obj = (v: unknown): Obj => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : "");
export const strings = (v: unknown): string[] => arr(v).map(str).filter(Boolean);
