// The only module that touches the Node transport: the client starts this over IPC.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from '../server';

startServer(createConnection(ProposedFeatures.all));
