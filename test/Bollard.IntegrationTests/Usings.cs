global using Bollard.IntegrationTests.Support;
