pytest_plugins = ["devstack.pytest_plugin"]
