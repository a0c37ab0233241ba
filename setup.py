"""Packaging for swift3_multipart: the S3 Multipart Upload API for Swift."""
from setuptools import find_packages, setup

from swift3_multipart import __version__

setup(
    name='swift3_multipart',
    version=__version__,
    description='S3 Multipart Upload API for OpenStack Swift, as a drop-in '
                'replacement of the s3api proxy filter',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    packages=find_packages(exclude=['test', 'test.*']),
    install_requires=[
        # our controllers subclass s3api's: pin the series we test against
        'swift>=2.38.0,<2.39',
        'lxml',
    ],
    extras_require={
        'test': [
            'pytest',
            'coverage',
            'flake8',
            # the S3 clients test/functional/test_clients.py runs, pinned so
            # that a failure is ours, not a new client's (rclone: Debian's)
            'boto3==1.44.5',
            'awscrt==0.38.1',
            'awscli==1.46.2',
            'apache-libcloud==3.9.1',
            's3cmd==2.4.0',
            'minio==7.2.20',
            # test/functional/test_fuzz.py
            'hypothesis==6.170.15',
            # the proxies' authtoken filter of the SAIO's Keystone mode
            # (test/saio/keystone.py; Keystone itself gets a venv of its own)
            'keystonemiddleware>=10,<14',
        ],
    },
    entry_points={
        'paste.filter_factory': [
            's3api = swift3_multipart.middleware:filter_factory',
        ],
        'console_scripts': [
            'swift3-multipart-reaper = swift3_multipart.reaper:main',
            'swift3-multipart-audit = swift3_multipart.audit:main',
        ],
    },
    classifiers=[
        'Programming Language :: Python :: 3',
        'Environment :: OpenStack',
    ],
)
