Feature: Configuration
  Where a plugin finds the Kiwi TCMS server and the credentials: the first configuration file
  that exists (~/.tcms.conf, then /etc/tcms.conf, in the [tcms] section, as the Python tcms-api
  reads it), then the environment variables TCMS_API_URL, TCMS_USERNAME and TCMS_PASSWORD.
  These are S1 to S5 of the 2018 test runner plugin specification. The configuration files are
  files of a temporary directory and the environment is the one the scenario gives: the real
  home directory and environment are never read.

  Scenario: Will use configuration file if it exists
    Given the config file ~/.tcms.conf contains:
      """
      [tcms]
      url = https://tcms.example.com/xml-rpc/
      username = file-user
      password = file-password
      """
    And the environment variable TCMS_API_URL is "https://env.example.com"
    And the environment variable TCMS_USERNAME is "env-user"
    And the environment variable TCMS_PASSWORD is "env-password"
    When the plugin loads its configuration
    Then the configuration is loaded
    And the server URL is "https://tcms.example.com"
    And the JSON-RPC endpoint is "https://tcms.example.com/json-rpc/"
    And the username is "file-user"
    And the password is "file-password"
    And the log says the url came from ~/.tcms.conf
    And the log says the username came from ~/.tcms.conf

  Scenario: Will use ENVIRONMENT if configuration file doesn't exist
    Given no config file exists
    And the environment variable TCMS_API_URL is "https://env.example.com/"
    And the environment variable TCMS_USERNAME is "env-user"
    And the environment variable TCMS_PASSWORD is "env-password"
    When the plugin loads its configuration
    Then the configuration is loaded
    And the server URL is "https://env.example.com"
    And the username is "env-user"
    And the password is "env-password"
    And the log says the url came from the environment variable TCMS_API_URL
    And the log says the password came from the environment variable TCMS_PASSWORD

  Scenario: Will exit if TCMS_API_URL not configured
    Given no config file exists
    And the environment variable TCMS_USERNAME is "env-user"
    And the environment variable TCMS_PASSWORD is "env-password"
    When the plugin loads its configuration
    Then loading the configuration fails because TCMS_API_URL is not configured
    And the error names the key "url" and the config files looked at
    And the plugin exits with status 1

  Scenario: Will exit if TCMS_USERNAME not configured
    Given the config file ~/.tcms.conf contains:
      """
      [tcms]
      url = https://tcms.example.com/
      """
    And the environment variable TCMS_PASSWORD is "env-password"
    When the plugin loads its configuration
    Then loading the configuration fails because TCMS_USERNAME is not configured
    And the error names the key "username" and the config files looked at
    And the plugin exits with status 1

  Scenario: Will exit if TCMS_PASSWORD not configured
    Given the config file ~/.tcms.conf contains:
      """
      [tcms]
      url = https://tcms.example.com/
      username = file-user
      password =
      """
    And the environment variable TCMS_PASSWORD is ""
    When the plugin loads its configuration
    Then loading the configuration fails because TCMS_PASSWORD is not configured
    And the error names the key "password" and the config files looked at
    And the plugin exits with status 1

  Scenario: The system-wide /etc/tcms.conf is used when ~/.tcms.conf does not exist
    Given the config file /etc/tcms.conf contains:
      """
      [tcms]
      url = https://system.example.com/kiwi/xml-rpc/
      username = system-user
      password = system-password
      """
    When the plugin loads its configuration
    Then the configuration is loaded
    And the server URL is "https://system.example.com/kiwi"
    And the JSON-RPC endpoint is "https://system.example.com/kiwi/json-rpc/"
    And the username is "system-user"
    And the log says the url came from /etc/tcms.conf

  Scenario: Only the first configuration file found is read, files are never merged
    Given the config file ~/.tcms.conf contains:
      """
      [tcms]
      url = https://home.example.com/
      username = home-user
      """
    And the config file /etc/tcms.conf contains:
      """
      [tcms]
      url = https://system.example.com/
      username = system-user
      password = system-password
      """
    And the environment variable TCMS_PASSWORD is "env-password"
    When the plugin loads its configuration
    Then the configuration is loaded
    And the server URL is "https://home.example.com"
    And the username is "home-user"
    And the password is "env-password"
    And the log says the password came from the environment variable TCMS_PASSWORD

  Scenario: The configuration file is read the way Python's configparser reads it
    Given the config file ~/.tcms.conf contains:
      """
      [DEFAULT]
      host = tcms.example.com

      [tcms]
      ; a comment
      URL: https://%(host)s/xml-rpc/
      username = file-user
      password = 50%%off;#not-a-comment
      """
    When the plugin loads its configuration
    Then the configuration is loaded
    And the server URL is "https://tcms.example.com"
    And the password is "50%off;#not-a-comment"

  Scenario: Kerberos login asked for in the configuration file is refused, not ignored
    Given the config file ~/.tcms.conf contains:
      """
      [tcms]
      url = https://tcms.example.com/xml-rpc/
      use_kerberos = True
      """
    When the plugin loads its configuration
    Then loading the configuration fails because Kerberos is not supported
    And the plugin exits with status 1
