/**
 * Compares syntax trees without source positions.
 *
 * @module
 */
import type { FhiclDocument } from "../../core/fhicl/mod.ts";

/** The tree as JSON text without offsets and file names, for equality checks. */
export function shape(document: FhiclDocument): string {
  return JSON.stringify(document.entries, (key, value) => (key === "start" ? undefined : value));
}
