/**
 * The converters and generators of the run-record source, by their `fhiclize_generate` names.
 *
 * @example
 * ```ts
 * import { TEXT_CONVERTERS } from "./mod.ts";
 * TEXT_CONVERTERS.ranks("host port label subsystem rank\n\nevb01 5300 EventBuilder1 1 0\n");
 * ```
 *
 * @module
 */
import { FHICLIZE_CONVERTERS, FHICLIZE_GENERATORS } from "../../../core/config/schema.ts";
import { convertBoot } from "./boot.ts";
import { convertEnvironment } from "./environment.ts";
import { convertKnownBoardreadersList } from "./known_boardreaders_list.ts";
import { convertMetadata } from "./metadata.ts";
import { convertRanks } from "./ranks.ts";
import { convertSettings } from "./settings.ts";
import { convertSetup } from "./setup.ts";

export { generateRunHistory, generateRunHistory2 } from "./run_history.ts";

/** A converter: the whole text of `<name>.txt` in, the text of `<name>.fcl` out. */
export type TextConverter = (text: string) => string;

/** The seven `<name>.txt` → `<name>.fcl` converters. */
export const TEXT_CONVERTERS: Readonly<Record<string, TextConverter>> = Object.freeze({
  boot: convertBoot,
  metadata: convertMetadata,
  known_boardreaders_list: convertKnownBoardreadersList,
  settings: convertSettings,
  setup: convertSetup,
  environment: convertEnvironment,
  ranks: convertRanks,
});

/** Every `fhiclize_generate` name: the seven converters and the two generators, in the original's order. */
export const FHICLIZE_NAMES: readonly string[] = Object.freeze([...FHICLIZE_CONVERTERS, ...FHICLIZE_GENERATORS]);
