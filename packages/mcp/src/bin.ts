#!/usr/bin/env node
import { main } from './proxy/main.js';

process.exit(await main(process.argv.slice(2)));
