/**
 * Converter rules: the Python archiver's exact outputs (original-archiver.md §5.6, parity scenario I15) and each
 * deliberate fix (docs/run-records.md, "Differences"). Every output is also parsed with our FHiCL parser.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { parse } from "../../core/fhicl/mod.ts";
import { generateRunHistory, generateRunHistory2, TEXT_CONVERTERS } from "../../plugins/run-records/converters/mod.ts";
import { configurationName, parseDaqDate, readMetadataInfo } from "../../plugins/run-records/metadata_info.ts";

/** Assert the exact output and that it is FHiCL. */
function expectFhicl(actual: string, expected: string, name: string) {
  assertEquals(actual, expected);
  parse(actual, { filename: name });
}

const METADATA = `Config name: standard_sbnd
Component #0: tpc01
Component #1: pmt01
DAQInterface directory: daq33:/home/daq

# code info
sbndaq commit/version: v1_10_02 "built"

process management method: pmt

boardreader logfiles: 
daq01:/log/tpc01.log
daq02:/log/pmt01.log


DAQInterface start time: Mon Oct 27 10:00:00 CDT 2025

Total events: 1500

DAQInterface stop time: Mon Oct 27 11:00:00 CDT 2025
`;

Deno.test("I15 metadata: the original's exact output (§5.6.1)", () => {
  expectFhicl(
    TEXT_CONVERTERS.metadata(METADATA),
    `config_name: "standard_sbnd"
components: ["tpc01", "pmt01"]
DAQInterface_directory: "daq33:/home/daq"
# code info
sbndaq_commit_or_version: "v1_10_02  built "
process_management_method: "pmt"

boardreader_logfiles: ["daq01:/log/tpc01.log", "daq02:/log/pmt01.log"]
daqinterface_start_time: "Mon Oct 27 10:00:00 CDT 2025"
total_events: 1500
daqinterface_stop_time: "Mon Oct 27 11:00:00 CDT 2025"
`,
    "metadata.fcl",
  );
});

Deno.test("metadata fixes: sections of every era, EOF flush, pmt logfile(s), valid keys, escaping", () => {
  const text = `Config name: a "b"
pmt logfile(s): topol:/tmp/pmt/pmt-1.*.log
weird (k): x\\y

aggregator logfiles: 
topol.fnal.gov:/tmp/aggregator/ag-1.log

routingmaster logfiles: 

datalogger logfiles: 
h:/log/dl.log
Component #0: tpc01`;
  expectFhicl(
    TEXT_CONVERTERS.metadata(text),
    `config_name: "a \\"b\\""
pmt_logfiles_wildcard: "topol:/tmp/pmt/pmt-1.*.log"
weird__k_: "x\\\\y"

aggregator_logfiles: ["topol.fnal.gov:/tmp/aggregator/ag-1.log"]

routingmaster_logfiles: []

datalogger_logfiles: ["h:/log/dl.log"]
components: ["tpc01"]
`,
    "metadata.fcl",
  );
});

Deno.test("I15 boot: the original's exact output (§5.6.2)", () => {
  expectFhicl(
    TEXT_CONVERTERS.boot(`DAQ setup script: /daq/setup.sh
debug level: 1

Subsystem id: 1
Subsystem destination: 2

EventBuilder host: evb01
EventBuilder port: 5300
EventBuilder label: EventBuilder1
EventBuilder subsystem: 1
`),
    `DAQ_setup_script: "/daq/setup.sh"
debug_level: 1

subsystem_settings: [
{
id: "1"
destination: "2"
}
]

artdaq_process_settings: [
{
name: "EventBuilder"
label: "EventBuilder1"
host: "evb01"
port: 5300
subsystem: "1"
}
]
`,
    "boot.fcl",
  );
  assertEquals(TEXT_CONVERTERS.boot("debug level: 1\n"), "debug_level: 1\n\nartdaq_process_settings: [\n]\n");
});

Deno.test("boot fixes: every Subsystem source kept, no leaking blocks, old process types, extra fields", () => {
  const out = TEXT_CONVERTERS.boot(`Subsystem id: 4
Subsystem source: 3
Subsystem source: 5

EventBuilder host: nolabel01

RoutingMaster host: np04-srv-001
RoutingMaster port: 7296
RoutingMaster label: RoutingMaster_1

RoutingManager host: rm01
RoutingManager label: RoutingManager1
RoutingManager target: DataLogger
process (type): x
`);
  expectFhicl(
    out,
    `process__type_: "x"

subsystem_settings: [
{
id: "4"
source: "5"
sources: ["3", "5"]
}
]

artdaq_process_settings: [
{
name: "EventBuilder"
host: "nolabel01"
},
{
name: "RoutingMaster"
label: "RoutingMaster_1"
host: "np04-srv-001"
port: 7296
},
{
name: "RoutingManager"
label: "RoutingManager1"
host: "rm01"
target: "DataLogger"
}
]
`,
    "boot.fcl",
  );
});

Deno.test("I15 known_boardreaders_list: the original's exact output (§5.6.3) and the fixes", () => {
  expectFhicl(
    TEXT_CONVERTERS.known_boardreaders_list(`# label host port subsystem
tpc01 daq01 -1 1
pmt01 daq02 -1 1 "taskset -c 0-3"
`),
    `tpc01: ["daq01", "-1", "1"]
pmt01: ["daq02", "-1", "1", "taskset -c 0-3" ]
`,
    "known_boardreaders_list.fcl",
  );
  expectFhicl(
    TEXT_CONVERTERS.known_boardreaders_list('tpc-01 h -1 "open quote\nlonely\n2x h\n'),
    'tpc_01: ["h", "-1", "open quote" ]\n_2x: ["h"]\n',
    "known_boardreaders_list.fcl",
  );
});

Deno.test("I15 settings: the original's output (§5.6.4) except list items, and the fixes", () => {
  expectFhicl(
    TEXT_CONVERTERS.settings(`log_directory: /daq/log
package_hashes_to_save: [ artdaq, "sbndaq_artdaq" ]
max_fragment_size_bytes: 10000000
boardreader timeout: 30
all_events_to_all_dispatchers: TRUE
spill_mode: -1
`),
    `log_directory: "/daq/log"
package_hashes_to_save: [ artdaq, sbndaq_artdaq ]
max_fragment_size_bytes: 10000000
boardreader_timeout: 30
all_events_to_all_dispatchers: true
spill_mode: "-1"
`,
    "settings.fcl",
  );
  expectFhicl(
    TEXT_CONVERTERS.settings(`all_events_to_all_dispatchers: false #true
package_hashes_to_save: [ artdaq-demo, 'a b', /x/y ]
broken: [ never closed
dot: .
file: "/data/run%06r_%04#.root"
`),
    `all_events_to_all_dispatchers: false #true
package_hashes_to_save: [ "artdaq-demo", "a b", "/x/y" ]
broken: "[ never closed"
dot: "."
file: "/data/run%06r_%04#.root"
`,
    "settings.fcl",
  );
});

Deno.test("I15 setup: the original's exact output (§5.6.5); CR escaped", () => {
  expectFhicl(
    TEXT_CONVERTERS.setup('source /daq/products/setup\nexport X="a b"\n'),
    'setup_script: "source /daq/products/setup\\nexport X=\\"a b\\"\\n"',
    "setup.fcl",
  );
  expectFhicl(TEXT_CONVERTERS.setup("a\\b é\r\n"), 'setup_script: "a\\\\b .\\r\\n"', "setup.fcl");
});

Deno.test("I15 environment: the original's exact output (§5.6.6); backslashes escaped", () => {
  expectFhicl(
    TEXT_CONVERTERS.environment(`export DAQINTERFACE_LOGFILE=/daq/log/DAQInterface.log
export DAQINTERFACE_SETTINGS='/daq/settings'
echo ignored
`),
    `DAQINTERFACE_LOGFILE: "/daq/log/DAQInterface.log"
DAQINTERFACE_SETTINGS: "/daq/settings"
`,
    "environment.fcl",
  );
  // Outer quote characters are stripped as before (the last `\"` loses its quote); the backslash left is escaped.
  expectFhicl(TEXT_CONVERTERS.environment('export Q="say \\"hi\\""\n'), 'Q: "say \\\\\\"hi\\\\"\n', "environment.fcl");
});

Deno.test("I15 ranks: the original's exact output (§5.6.7); 4-column files keep their rows", () => {
  expectFhicl(
    TEXT_CONVERTERS.ranks(`host                          port      label               subsystem      rank      

daq01                         5200      tpc01               1              0        
evb01                         5300      EventBuilder1       1              1        
`),
    `ranks: {
  header: ["host", "port", "label", "subsystem", "rank"]
  rank0: ["daq01", "5200", "tpc01", "1", "0"]
  rank1: ["evb01", "5300", "EventBuilder1", "1", "1"]
}
`,
    "ranks.fcl",
  );
  expectFhicl(
    TEXT_CONVERTERS.ranks("        host   port         procName  rank\n\nnp04-srv-011\t7000\tssp101\t0\nshort\t1\n"),
    'ranks: {\n  header: ["host", "port", "procName", "rank"]\n  rank0: ["np04-srv-011", "7000", "ssp101", "0"]\n}\n',
    "ranks.fcl",
  );
  assertEquals(TEXT_CONVERTERS.ranks("\n# nothing\n"), "");
});

Deno.test("I15 RunHistory: the original's exact output (§5.6.8)", () => {
  expectFhicl(
    generateRunHistory(METADATA, 12345),
    'run_number: 12345\n\nconfig_name: "standard_sbnd"\n\ncomponents: ["tpc01", "pmt01"]\n\n',
    "RunHistory.fcl",
  );
  assertEquals(generateRunHistory("", 7), "run_number: 7\n\n");
});

Deno.test("RunHistory2: original layout; only for complete runs; legacy Start/Stop time lines count", () => {
  expectFhicl(
    generateRunHistory2(readMetadataInfo(METADATA))!,
    'DAQInterface_start_time: "Mon Oct 27 10:00:00 CDT 2025"\nDAQInterface_stop_time: "Mon Oct 27 11:00:00 CDT 2025"',
    "RunHistory2.fcl",
  );
  // I10 differs on purpose: a start time alone makes no update (it would block the later stop-time update).
  assertEquals(generateRunHistory2(readMetadataInfo("DAQInterface start time: X\n")), null);
  expectFhicl(
    generateRunHistory2(readMetadataInfo('Start time: Tue May 23 15:16:04 UTC 2017\n\nStop time: Ünïcode "q"\n'))!,
    'DAQInterface_start_time: "Tue May 23 15:16:04 UTC 2017"\nDAQInterface_stop_time: ".n.code \\"q\\""',
    "RunHistory2.fcl",
  );
});

Deno.test("configuration name (§5.4) and metadata facts", () => {
  assertEquals(configurationName(readMetadataInfo("Config name: std/sub cfg\n")), "std_sub cfg");
  assertEquals(configurationName(readMetadataInfo("Config name:   \nConfig name: second\n")), "second");
  assertEquals(configurationName(readMetadataInfo("Config name:demo\n")), "standard"); // \s+ required, as before
  assertEquals(configurationName(null), "standard");
  const info = readMetadataInfo("DAQInterface start time: A\n\nDAQInterface stop time:   \n");
  assertEquals(info.startTime, "A");
  assertEquals(info.stopTime, undefined);
});

Deno.test("parseDaqDate: C locale, padded day, 12-hour en_US, zone offsets; other locales → null", () => {
  assertEquals(parseDaqDate("Tue Oct 15 19:07:31 UTC 2024"), Date.UTC(2024, 9, 15, 19, 7, 31));
  assertEquals(parseDaqDate("Wed Oct  2 04:05:06 UTC 2024"), Date.UTC(2024, 9, 2, 4, 5, 6));
  assertEquals(parseDaqDate("Tue Oct 15 07:07:31 PM UTC 2024"), Date.UTC(2024, 9, 15, 19, 7, 31));
  assertEquals(parseDaqDate("Tue Oct 15 12:07:31 AM UTC 2024"), Date.UTC(2024, 9, 15, 0, 7, 31));
  assertEquals(parseDaqDate("Mon Oct 27 10:00:00 CDT 2025"), Date.UTC(2025, 9, 27, 15, 0, 0));
  assertEquals(parseDaqDate("mar. 15 oct. 2024 19:07:31 UTC"), null);
  ok(parseDaqDate("Tue Oct 15 13:07:31 PM UTC 2024") === null);
});
