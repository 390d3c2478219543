// The launch logic lives with the other local tooling so the load reports can render pages too.
export { launchChromium } from '../../src/local/chromium';
