#!/usr/bin/env node
import { exitAfterStop, main } from '../dist/cli.js';

exitAfterStop('faultline-alerts', await main(process.argv.slice(2), process.env));
