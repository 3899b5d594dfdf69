// The cleaning lives in the contract: producers that write the observations header clean titles
// the same way the alerts do when they parse an event.
export { cleanText, MAX_TEXT, notificationText } from '@faultline/contract';
